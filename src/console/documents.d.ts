/** Types of documents.js for the TypeScript that imports it (the benchmark). */
export declare const WALLBOARD: string;
export declare const DUE_CALLBACKS: string;
export declare const WALLBOARD_SUBSCRIPTIONS: { query: string; perQueue?: boolean }[];
