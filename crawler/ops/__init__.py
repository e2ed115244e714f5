"""Operations around crawls: scheduled crawls and run health."""
