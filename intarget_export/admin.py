"""The admin site as a whole: named for the service, its "View site" link on the landing page."""

from django.contrib import admin

admin.site.site_header = "intarget-export"
admin.site.site_title = "intarget-export"
admin.site.index_title = "Administration"
admin.site.site_url = "/"
