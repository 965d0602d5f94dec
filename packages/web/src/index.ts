// The web UI. It speaks only the public REST API; its pages arrive with the claims and nodes
// features.
export const WEB_UI_NAME = 'utopia-web';
