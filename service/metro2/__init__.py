"""Metro 2: read, write and check the industry's furnishing file; import and export it."""
