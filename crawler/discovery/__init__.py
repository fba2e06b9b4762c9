"""Finding a company's board from a URL, a careers page or a domain (`rolewatch add`)."""
