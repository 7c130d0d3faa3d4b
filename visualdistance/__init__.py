"""visualdistance: find reused art in large collections of drawn images.

The code lives in the repository's top-level folders and is installed under this
namespace: ``visualdistance.loader`` (everything that touches files, HTTP and
Neo4j), ``visualdistance.analysis`` (pure computation on arrays),
``visualdistance.cli`` (typer commands) and ``visualdistance.cypher`` (Cypher files).
"""

__version__ = "0.1.0"
