"""Response headers every page of the register needs."""
from django.utils.cache import patch_cache_control


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in user (pages, exports, API).

    Every such response can carry personal data; neither the browser nor a proxy may keep a copy. Static files
    (WhiteNoise, earlier in the chain) keep their long-lived caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
