"""`{{ seconds|length_words }}`: a reel's or a shot's length as people say it ("1 min 12 s")."""

from django import template

register = template.Library()


@register.filter
def length_words(seconds) -> str:
    try:
        total = round(float(seconds))
    except (TypeError, ValueError):
        return ""
    minutes, rest = divmod(max(0, total), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
