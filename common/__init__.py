"""The ground floor: infrastructure every app may use and that knows no app above it.

The API error format (and the base class of domain errors it translates), rate limits, the
database-outage and error-page middleware, the Redis cache that survives an outage, fast
single-row inserts, COPY streaming, and the OpenAPI post-processing. Nothing here imports
boundaries, fieldops or anything above them (.importlinter).
"""
