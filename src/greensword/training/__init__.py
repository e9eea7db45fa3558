"""Training and skills: qualifications, courses, trainer/talent pools, question bank and exams, competitions, equipment."""
