// English and Simplified Chinese, switched at run time and remembered. Messages are plain
// functions of their arguments so plural and word order stay each language's own.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { en, type Messages } from './en.js';
import { zh } from './zh.js';

/** Language is used for the languages the UI speaks. */
export type Language = 'en' | 'zh';

const CATALOGUES: Record<Language, Messages> = { en, zh };
const KEY = 'utopia.language';

function initialLanguage(): Language {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

interface I18n {
  t: Messages;
  language: Language;
  setLanguage(language: Language): void;
}

const I18nContext = createContext<I18n>({ t: en, language: 'en', setLanguage: () => {} });

/** I18nProvider is used once at the root. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  useEffect(() => {
    localStorage.setItem(KEY, language);
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }, [language]);
  return (
    <I18nContext.Provider value={{ t: CATALOGUES[language], language, setLanguage }}>
      {children}
    </I18nContext.Provider>
  );
}

/** useI18n is used by every component that shows text. */
export function useI18n(): I18n {
  return useContext(I18nContext);
}
