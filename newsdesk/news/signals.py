"""Signals other apps listen to; news itself imports no other app.

`article_changed` is sent after the transaction that created, edited, published
or withdrew an article has committed (discovery updates its index from it).
"""

from django.dispatch import Signal

article_changed = Signal()  # kwargs: article_id, created
