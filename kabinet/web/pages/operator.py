"""The service-centre console's pages: the receipt of a visit, as HTML to print and as a PDF (WeasyPrint)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from kabinet.flows.centre import visits
from kabinet.web.deps import CurrentOperator, Kb
from kabinet.web.problems import locale_of
from kabinet.web.templating import render

router = APIRouter(prefix="/operator", include_in_schema=False)


@router.get("/visits/{visit_id}/receipt", response_class=HTMLResponse)
def receipt_page(request: Request, visit_id: str, kb: Kb, operator: CurrentOperator) -> HTMLResponse:
    receipt = visits.receipt(kb.ctx, operator=operator, visit_id=visit_id, locale=locale_of(request))
    return render(request, "operator_receipt.html", receipt=receipt)


@router.get("/visits/{visit_id}/receipt.pdf")
async def receipt_pdf(request: Request, visit_id: str, kb: Kb, operator: CurrentOperator) -> Response:
    """The same page, rendered to PDF off the event loop (it takes tens of milliseconds)."""
    html = await run_in_threadpool(receipt_page, request, visit_id, kb, operator)
    pdf = await run_in_threadpool(_pdf, bytes(html.body).decode())
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{visit_id[:8]}.pdf"'})


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use: it is heavy, and only the console needs it

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
