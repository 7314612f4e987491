def roles(request):
    """`may.review`, `may.enter_data`… for menus, asked of the access module; the views decide access on
    every request, not the templates."""
    from programs.access import capabilities

    return {"may": capabilities(getattr(request, "user", None))}
