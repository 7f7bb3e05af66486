"""The team usage page's breadcrumb is the admin's own (an `ol.breadcrumbs` in its breadcrumb
nav, which the admin's stylesheet styles), not a bare line of links."""

from django.urls import reverse


def test_the_usage_page_has_the_admins_breadcrumb(staff_client):
    page = staff_client.get(reverse("usage_review")).content.decode()
    nav = page[page.index('<nav aria-label="Breadcrumbs">') :]
    nav = nav[: nav.index("</nav>")]
    assert nav.split(">", 1)[1].strip().startswith('<ol class="breadcrumbs">')
    assert '<li><a href="/admin/">Home</a></li>' in nav
    assert '<li aria-current="page">Team usage</li>' in nav
