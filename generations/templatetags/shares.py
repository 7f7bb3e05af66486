"""`{% new_share_form as form %}`: the Share control's empty form, for any page that shows one
(a clip's, a board's) without its view having to know about sharing."""

from django import template

register = template.Library()


@register.simple_tag
def new_share_form():
    from ..views.shares import ShareForm

    return ShareForm()
