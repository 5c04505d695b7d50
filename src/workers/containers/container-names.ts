/** Names read as containers of documents (what the default include matches): ZIP archives and mails. */
export const CONTAINER_NAME = /\.(zip|eml|msg)$/i;
