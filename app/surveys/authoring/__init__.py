"""Authoring surveys: the definition format and its checks, the routing-expression language, the organisers'
builder pages, the XLSForm importer, and a survey's settings (dates, access, publishing, the definition as JSON)."""
