"""What a French city must publish and let residents do with their data: the legal pages (mentions
légales, privacy notice, accessibility statement, terms of use), the retention periods and the jobs
that apply them, account deletion."""
