"""Signal receivers; each only calls an action."""

from __future__ import annotations


def article_deleted(sender, instance, **kwargs) -> None:
    # An editor deleted an ingested article: the next poll must not bring it back.
    if instance.source_id and instance.external_id:
        from newsdesk.ingest.actions import do_bury

        do_bury(
            source_id=instance.source_id,
            external_id=instance.external_id,
            reason="deleted",
        )
