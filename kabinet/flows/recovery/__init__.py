"""Lost access (seed lines S5, S9, S13): password recovery with two proofs, backup codes, identity data and
the lost-everything request that a service-centre operator completes in person."""
