"""The Release value stream (5.5): from accepted Product Releases to orderable Service Offers.

- `versions`: which ProductRelease an offer's version range resolves to (Define).
- `define`: completeness, schema compatibility and pricing of an offer (Define, Implement).
- `publish`: Draft, Scheduled, Published, Terminated along the validity window (Publish).
- `audience`: which namespaces see an offer, with canary shares (Publish).
- `changes`: terms changes, release upgrades and bundles (Change, Bundle scenarios).
- `offer_status`: the status facts of an offer (Implement).
- `wire`: nested lookups and RFC 3339 times, shared with Consume.

Consume builds on these modules; nothing here imports Consume.
"""
