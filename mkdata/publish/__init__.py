"""Publishing: dataset directories to the Hugging Face Hub."""
