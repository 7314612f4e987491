from django.utils.functional import SimpleLazyObject


def notices(request):
    """The bell's unread count for the navbar: one query for a signed-in user, asked only when a page shows
    it (the Django admin's pages do not), none for anyone not signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .notices import unread_count

    return {"unread_notices": SimpleLazyObject(lambda: unread_count(user))}
