"""The admin site as a whole: named for the service, its "View site" link on the landing page."""

from django.contrib import admin

from feeds.admin_base import ApiTextMixin

admin.site.site_header = "intarget-export"
admin.site.site_title = "intarget-export"
admin.site.index_title = "Administration"
admin.site.site_url = "/"
# The navigation sidebar takes 300 px of a 1400 px screen from the feed lists, which
# need them (and a filter column); the index and the breadcrumbs reach every page.
admin.site.enable_nav_sidebar = False


def api_text_everywhere() -> None:
    """Every list shows times and money as ours do, those of other apps (auth, axes)
    included: a ModelAdmin without ``ApiTextMixin`` is registered again as itself plus
    the mixin. Called once every admin module is loaded (``apps.py``)."""
    for model, model_admin in list(admin.site._registry.items()):
        if isinstance(model_admin, ApiTextMixin):
            continue
        admin_class = type(model_admin)
        admin.site.unregister(model)
        admin.site.register(model, type(admin_class.__name__, (ApiTextMixin, admin_class), {}))

