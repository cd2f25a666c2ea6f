"""The worst day, as tests: real servers and sockets under frozen walls, storms and attacks;
each asserts nothing lost, nothing duplicated, the server healthy and its memory bounded."""
