import { defineConfig } from 'vite';
import { viteConfig } from './viteConfig.mjs';

export default defineConfig(viteConfig());
