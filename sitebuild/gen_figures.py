"""mkdocs-gen-files entry point: render every figure script in diagrams/ into the build.

Placeholder until the figure pipeline lands; it renders nothing yet.
"""
