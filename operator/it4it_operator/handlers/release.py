"""kopf handlers of ProductRelease: digest and acceptance (the hand-over from Integrate)."""

from __future__ import annotations

from typing import Any

import kopf

from it4it_operator import GROUP, VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.product_release import reconcile_release
from it4it_operator.handlers.metrics import observed


@kopf.on.resume(GROUP, VERSION, "productreleases")
@kopf.on.create(GROUP, VERSION, "productreleases")
@kopf.on.update(GROUP, VERSION, "productreleases")
@observed("ProductRelease")
def release_changed(body: kopf.Body, memo: Any, **_: Any) -> None:
    ctx: Context = memo.ctx
    reconcile_release(ctx, dict(body))
