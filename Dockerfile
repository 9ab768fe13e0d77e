# netcheck: one image for both roles (NETCHECK_ROLE=bot|worker|all); runs the compiled JavaScript.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# Dependencies first (a layer that survives source changes). npm ci runs `prepare`
# (scripts/build.mjs --on-install), which skips the build here because src/ is not copied yet.
COPY package.json package-lock.json ./
COPY scripts/build.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compiles to dist/ (and marks dist/src/cli.js executable), then drops tsx, typescript and the
# other dev dependencies: nothing at run time needs them.
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# The bot draws the mesh heatmap's labels with DejaVu Sans (src/slack/mesh/mesh-png.ts).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json for "type": "module"; scripts/build.mjs so that `npm start` in the image finds the
# shipped dist/ up to date (there is no src/ to compare with) instead of failing in prestart.
COPY package.json ./
COPY scripts/build.mjs ./scripts/
# The worker reads its inventory, SSH key and known_hosts from /etc/netcheck (mounted read-only).
ENV NETCHECK_INVENTORY=/etc/netcheck/inventory.yaml PORT=3000
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" || exit 1
# As `npm start` runs it: --optimize-for-size keeps V8's heap smaller (README "Compiled JavaScript").
CMD ["node", "--optimize-for-size", "dist/src/cli.js", "start"]
