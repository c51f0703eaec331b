"""composition_routes"""
