"""The API's routers, one concept per module; api/app.py mounts them."""
