"""善联 Shanlian: community social work + charity platform."""
