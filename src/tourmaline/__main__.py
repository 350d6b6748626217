from tourmaline.cli import app

app()
