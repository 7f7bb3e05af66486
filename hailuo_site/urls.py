from django.contrib import admin
from django.urls import include, path

from generations.views import usage

urlpatterns = [
    # Before the admin's own URLs, which would take "usage/" for an app's name.
    path("admin/usage/", usage.usage_review, name="usage_review"),
    path("admin/usage.csv", usage.usage_csv, name="usage_csv"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("generations.urls")),
]
