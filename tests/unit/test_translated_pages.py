"""Pages are compiled once per language with their fixed texts translated in (issue 25): the output must be what
calling ``_`` at render time gave — the same words, escaped the same way — and a call that is not a single string
literal must still be translated when the page is shown."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape

from kabinet.web import templating
from kabinet.web.i18n import gettext

SOURCE = ('<h1>{{ _("Contact data") }}</h1><p title="{{ _(\'Contact data\') }}">{{ _(label) }}</p>'
          '{{ obj._("Contact data") }}|{{ _("Contact data" ~ suffix) }}|{{ _("No such text <b>") }}')


def envs() -> tuple[Environment, Environment]:
    """The same page compiled with the folding extension, and plainly (``_`` called at render time)."""
    folded = Environment(loader=DictLoader({"p.html": SOURCE}), autoescape=select_autoescape(["html"]),
                         extensions=[templating._Translated])
    folded.extend(kabinet_locale="ru")
    plain = Environment(loader=DictLoader({"p.html": SOURCE}), autoescape=select_autoescape(["html"]))
    return folded, plain


class Obj:
    def _(self, text: str) -> str:
        return f"own {text}"


def test_fixed_texts_are_translated_at_compile_time_and_the_output_is_unchanged():
    folded, plain = envs()
    context = {"label": "Contact data", "obj": Obj(), "suffix": "", "_": gettext("ru")}
    shown = folded.get_template("p.html").render(**context)
    assert shown == plain.get_template("p.html").render(**context)
    assert "<h1>Контактные данные</h1>" in shown and 'title="Контактные данные"' in shown
    assert "own Contact data" in shown  # a method named _ is not ours
    assert "No such text &lt;b&gt;" in shown  # an untranslated text is still escaped
    # The literal is gone from the compiled page: the translation is in its static output.
    code = folded.compile(SOURCE, raw=True)
    assert "Контактные данные" in code and "'Contact data'" not in code.split("obj")[0]


def test_a_call_with_a_variable_still_follows_the_language_at_render_time():
    folded, _plain = envs()
    assert "<p title=\"Контактные данные\">Contact data</p>" in folded.get_template("p.html").render(
        label="Contact data", obj=Obj(), suffix="", _=lambda text: text)  # the runtime catalogue decides


def test_every_page_compiles_in_both_languages():
    templating.warm()
    for locale, env in templating._ENVS.items():
        assert env.kabinet_locale == locale
        assert "contacts.html" in env.list_templates()
