from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations.passwords import MemberPasswordChangeForm
from generations.views import invites, login, shares, usage

# Failed logins are throttled on the admin's login page as on the studio's.
admin.site.login_form = login.ThrottledAdminAuthenticationForm
# Django's one admin site has its login view wrapped in place (the URL resolver passes the request
# positionally, as the wrapper takes it).
admin.site.login = login.throttled_login(admin.site.login)  # type: ignore[method-assign,assignment]

urlpatterns = [
    # Before the admin's own URLs, which would take "usage/" for an app's name.
    path("admin/usage/", usage.usage_review, name="usage_review"),
    path("admin/usage.csv", usage.usage_csv, name="usage_csv"),
    path("admin/usage/check/", usage.check_ledger, name="usage_check_ledger"),
    path("admin/shares/", shares.share_review, name="share_review"),
    path("admin/", admin.site.urls),
    # Not django.contrib.auth.urls: its password-reset pages are open to anyone and would email
    # links the studio has no mail server for. Staff make a member's one-time reset link on the
    # team page instead (/team/); only the page that link opens is here.
    path("accounts/login/", login.login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=MemberPasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        invites.ResetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path("", include("generations.urls")),
]
