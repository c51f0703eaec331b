"""Authoring surveys: the definition format and its checks, the routing-expression language, the organisers'
builder pages, and the XLSForm importer."""
