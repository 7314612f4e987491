def notices(request):
    """The bell's unread count: one query for a signed-in user, none for anyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .notices import unread_count

    return {"unread_notices": unread_count(user)}
