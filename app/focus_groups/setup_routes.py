"""setup_routes"""
