def static_problems(graph):
    return []
