/** The frontend's version: it must equal the server extension's (`GET /jupyter-datavc/version`). */
export const FRONTEND_VERSION = '0.1.0';
