"""The in-app inbox (消息): every user's messages, newest first, with an unread badge in the bottom bar."""
