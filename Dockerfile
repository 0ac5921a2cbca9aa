# One image for every role: `start --role worker|scheduler|web`.
FROM node:20-bookworm-slim
ENV NODE_ENV=production JOBTALLY_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
COPY workers ./workers
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["npx", "--no-install", "tsx", "workers/cli.ts"]
CMD ["start", "--role", "all"]
