"""Page processing: what the build does to a page's Markdown and HTML beyond the theme."""
