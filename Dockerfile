# The image docker-compose.yml runs a Dask scheduler and workers from: the project and its pinned
# dependencies, so a worker can describe and link (it imports visualdistance to run a task). The machine
# running `visualdistance ... --scheduler` must have the same Python minor version and the same packages
# (constraints.txt): Dask sends functions and data between them pickled.
FROM python:3.11-slim
WORKDIR /src
COPY . /src
RUN pip install --no-cache-dir -c constraints.txt . && useradd --create-home visualdistance
USER visualdistance
