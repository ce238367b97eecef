"""The projects API's views, split by subject like the serializers beside them: projects
and members, tickets and comments, the board (move, rank), sprints, planning settings."""
