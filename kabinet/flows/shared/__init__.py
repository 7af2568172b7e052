"""What every room uses and no room owns: the narrow context, the account step, the confirmation machinery
(challenges, the purpose table and its handler registry, second-channel confirmations, the proofs a code may be
answered by — backup codes, passkeys), notices, the relying services' push, and the results flows answer.
Nothing here imports a room.

A room keeps its own engine in private ``_*.py`` modules; what another room needs of it is lent by the room's
``_api.py``, the one module of a room that another room may import (tests/unit/test_import_graph.py)."""
