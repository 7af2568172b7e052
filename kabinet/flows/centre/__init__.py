"""The service centre (seed S5, S11, S19): operators sign in with password + app code, open a visit by the
citizen's document, and change contacts through the same rules as the cabinet — each action with a reason,
recorded in the citizen's history with the operator, the centre and the document, and listed on a receipt."""
