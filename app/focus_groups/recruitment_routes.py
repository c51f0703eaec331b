"""recruitment_routes"""
