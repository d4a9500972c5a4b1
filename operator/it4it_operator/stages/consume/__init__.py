"""The Consume value stream (5.6): from a chosen offer to a running, measured service.

- `select`: whether a namespace may order an offer (Select an Offer).
- `agree`: terms acceptance and the Service Contract (Agree to Service Offer).
- `subscribe`: parameters and the DesiredProductInstance to create (Subscribe to Service Offer).
- `service_status`: availability, SLA and notifications (Publish Service Status).
- `catalog`: the searchable list of offers a namespace may order (Select an Offer).

These modules build on `it4it_operator.stages.release`; Release never imports Consume.
"""
