"""scheduling_routes"""
