import { inArray, sql } from 'drizzle-orm';
import type { ProductsDb } from '../db/database.js';
import { categories, productRecommendations, products } from '../db/schema.js';
import { seedDemoImages } from './demo-images.js';

/** [sku, name, price in cents, stock, description] */
type DemoProduct = [string, string, number, number, string];

/** The demo catalogue: a small organic grocery and home shop. */
export const demoCatalogue: Record<string, DemoProduct[]> = {
  'Fresh Produce': [
    ['PRD-APPLE-1KG', 'Organic Apples, 1 kg', 449, 120, 'Crisp seasonal apples from orchards within 100 km.'],
    ['PRD-BANANA-6', 'Fair-trade Bananas, 6 pack', 299, 80, 'Ripe fair-trade bananas.'],
    ['PRD-CARROT-1KG', 'Heirloom Carrots, 1 kg', 325, 60, 'Purple, yellow and orange carrots.'],
    ['PRD-SPINACH-250', 'Baby Spinach, 250 g', 279, 45, 'Washed and ready to eat.'],
    ['PRD-AVOCADO-2', 'Avocados, 2 pack', 399, 30, 'Hass avocados, ready in two days.'],
    ['PRD-TOMATO-500', 'Vine Tomatoes, 500 g', 349, 50, 'Sweet tomatoes on the vine.'],
    ['PRD-LEMON-4', 'Unwaxed Lemons, 4 pack', 259, 70, 'Unwaxed, for zest and juice.'],
    ['PRD-KALE-200', 'Curly Kale, 200 g', 229, 0, 'Dark green curly kale.'],
    ['PRD-POTATO-2KG', 'Yukon Gold Potatoes, 2 kg', 499, 90, 'Buttery all-rounders.'],
    ['PRD-GARLIC-3', 'Garlic Bulbs, 3 pack', 199, 100, 'Hardneck garlic.'],
    ['PRD-BERRY-300', 'Mixed Berries, 300 g', 599, 25, 'Strawberries, blueberries and raspberries.'],
  ],
  Bakery: [
    ['BAK-SOURDOUGH', 'Sourdough Loaf', 549, 40, 'Slow-fermented for 36 hours.'],
    ['BAK-RYE', 'Dark Rye Bread', 499, 20, 'Dense, seeded rye.'],
    ['BAK-CROISSANT-4', 'Butter Croissants, 4 pack', 699, 35, 'Laminated with cultured butter.'],
    ['BAK-BAGUETTE', 'Baguette', 299, 50, 'Baked this morning.'],
    ['BAK-BAGEL-6', 'Sesame Bagels, 6 pack', 599, 30, 'Boiled, then baked.'],
    ['BAK-FOCACCIA', 'Rosemary Focaccia', 649, 15, 'Olive oil and sea salt.'],
    ['BAK-GF-LOAF', 'Gluten-free Seed Loaf', 749, 12, 'Buckwheat and sunflower seeds.'],
    ['BAK-MUFFIN-4', 'Blueberry Muffins, 4 pack', 599, 0, 'Wild blueberries.'],
    ['BAK-CINNAMON-2', 'Cinnamon Rolls, 2 pack', 549, 18, 'With cardamom glaze.'],
    ['BAK-PITA-6', 'Wholemeal Pita, 6 pack', 349, 40, 'Soft pockets.'],
  ],
  Dairy: [
    ['DRY-MILK-1L', 'Whole Milk, 1 l', 199, 150, 'Pasture-raised, non-homogenised.'],
    ['DRY-OAT-1L', 'Oat Drink, 1 l', 249, 100, 'Barista edition.'],
    ['DRY-YOGURT-500', 'Greek Yogurt, 500 g', 449, 60, 'Strained, 10% fat.'],
    ['DRY-BUTTER-250', 'Cultured Butter, 250 g', 549, 45, 'Lightly salted.'],
    ['DRY-CHEDDAR-200', 'Aged Cheddar, 200 g', 699, 40, 'Cave-aged for 18 months.'],
    ['DRY-FETA-200', 'Sheep Feta, 200 g', 549, 25, 'In brine.'],
    ['DRY-EGGS-12', 'Free-range Eggs, 12', 649, 80, 'From hens on open pasture.'],
    ['DRY-CREAM-250', 'Double Cream, 250 ml', 329, 30, 'For whipping and sauces.'],
    ['DRY-KEFIR-500', 'Plain Kefir, 500 ml', 399, 20, 'Live cultures.'],
    ['DRY-MOZZ-125', 'Buffalo Mozzarella, 125 g', 449, 0, 'Made fresh each week.'],
  ],
  Pantry: [
    ['PAN-OLIVEOIL-500', 'Extra Virgin Olive Oil, 500 ml', 1299, 60, 'Cold-pressed, single estate.'],
    ['PAN-PASTA-500', 'Bronze-cut Spaghetti, 500 g', 349, 120, 'Durum wheat, slow-dried.'],
    ['PAN-RICE-1KG', 'Basmati Rice, 1 kg', 499, 90, 'Aged basmati.'],
    ['PAN-LENTIL-500', 'Red Lentils, 500 g', 279, 70, 'Split red lentils.'],
    ['PAN-OATS-1KG', 'Rolled Oats, 1 kg', 399, 85, 'Jumbo rolled oats.'],
    ['PAN-HONEY-340', 'Wildflower Honey, 340 g', 899, 40, 'Raw and unfiltered.'],
    ['PAN-PEANUT-340', 'Crunchy Peanut Butter, 340 g', 549, 55, 'Just peanuts and salt.'],
    ['PAN-TOMSAUCE-680', 'Passata, 680 g', 299, 100, 'Sieved tomatoes.'],
    ['PAN-CHICKPEA-400', 'Chickpeas, 400 g tin', 149, 150, 'Cooked and ready.'],
    ['PAN-SALT-250', 'Flaky Sea Salt, 250 g', 499, 65, 'Hand-harvested.'],
    ['PAN-COFFEE-250', 'Single-origin Coffee Beans, 250 g', 1199, 35, 'Washed Ethiopian, light roast.'],
    ['PAN-TEA-50', 'Green Tea, 50 bags', 649, 45, 'Sencha.'],
  ],
  Household: [
    ['HSE-DISH-500', 'Plant-based Dish Soap, 500 ml', 449, 80, 'Refillable bottle.'],
    ['HSE-LAUNDRY-1L', 'Laundry Liquid, 1 l', 899, 50, 'Concentrated, 40 washes.'],
    ['HSE-SPONGE-3', 'Compostable Sponges, 3 pack', 399, 70, 'Cellulose and loofah.'],
    ['HSE-BAGS-30', 'Compostable Bin Bags, 30', 649, 60, 'Certified home-compostable.'],
    ['HSE-CLOTH-2', 'Beeswax Wraps, 2 pack', 1299, 25, 'Instead of cling film.'],
    ['HSE-SPRAY-500', 'All-purpose Cleaner, 500 ml', 549, 40, 'Citrus and vinegar.'],
    ['HSE-TOILET-9', 'Recycled Toilet Paper, 9 rolls', 799, 90, 'Three-ply, plastic-free wrap.'],
    ['HSE-CANDLE', 'Soy Candle', 1899, 15, 'Cedar and fig, 40 hours.'],
    ['HSE-BRUSH', 'Bamboo Dish Brush', 599, 0, 'Replaceable head.'],
    ['HSE-BOTTLE-750', 'Steel Water Bottle, 750 ml', 2499, 20, 'Double-walled.'],
  ],
  'Personal Care': [
    ['PER-SOAP-BAR', 'Oat Soap Bar', 549, 90, 'For sensitive skin.'],
    ['PER-SHAMPOO-BAR', 'Shampoo Bar', 1099, 45, 'Plastic-free, 80 washes.'],
    ['PER-TOOTHBRUSH', 'Bamboo Toothbrush', 399, 120, 'Soft bristles.'],
    ['PER-TOOTHPASTE', 'Toothpaste Tablets, 60', 799, 50, 'Fluoride, in a glass jar.'],
    ['PER-DEODORANT', 'Natural Deodorant, 75 g', 1099, 30, 'Bicarbonate-free.'],
    ['PER-LIPBALM', 'Lip Balm', 449, 75, 'Beeswax and shea.'],
    ['PER-SUNSCREEN', 'Mineral Sunscreen SPF 30, 100 ml', 1599, 20, 'Reef-safe zinc oxide.'],
    ['PER-RAZOR', 'Safety Razor', 2999, 10, 'Stainless steel, lasts a lifetime.'],
    ['PER-FLOSS', 'Silk Dental Floss', 599, 0, 'In a refillable glass vial.'],
    ['PER-HANDCREAM', 'Hand Cream, 50 ml', 899, 35, 'Calendula.'],
    ['PER-COTTON-PADS', 'Reusable Cotton Pads, 10', 1299, 30, 'Organic cotton, washable.'],
  ],
};

/**
 * Seeds the demo catalogue, each product with an image. Idempotent: existing categories, products,
 * recommendations and images are left as they are (stock and prices changed since are not reset),
 * so a restart changes nothing.
 */
export async function seedDemoCatalogue(db: ProductsDb): Promise<void> {
  await db.transaction(async (tx) => {
    const categoryNames = Object.keys(demoCatalogue);
    await tx
      .insert(categories)
      .values(categoryNames.map((name) => ({ name })))
      .onConflictDoNothing();
    const categoryRows = await tx.select().from(categories).where(inArray(categories.name, categoryNames));
    const categoryIds = new Map(categoryRows.map((row) => [row.name, row.id]));

    const rows = Object.entries(demoCatalogue).flatMap(([category, items]) =>
      items.map(([sku, name, priceCents, stock, description]) => ({ sku, name, priceCents, stock, description, categoryId: categoryIds.get(category)! })),
    );
    await tx.insert(products).values(rows).onConflictDoNothing();
    // By SKU in any letter case, as SKUs are unique: a product an admin made as "prd-apple-1kg" stands for the demo's.
    const productRows = await tx
      .select({ id: products.id, sku: products.sku })
      .from(products)
      .where(
        inArray(
          sql`lower(${products.sku})`,
          rows.map((row) => row.sku.toLowerCase()),
        ),
      );
    const productIdsBySku = new Map(productRows.map((row) => [row.sku.toLowerCase(), row.id]));
    const productIdOf = (sku: string) => productIdsBySku.get(sku.toLowerCase())!;

    // Each product recommends the next two in its category and the first of the next category.
    const recommendations = Object.values(demoCatalogue).flatMap((items, categoryIndex, all) => {
      const nextCategory = all[(categoryIndex + 1) % all.length]!;
      return items.flatMap(([sku], index) =>
        [items[(index + 1) % items.length]![0], items[(index + 2) % items.length]![0], nextCategory[0]![0]].map((recommended) => ({
          productId: productIdOf(sku),
          recommendedProductId: productIdOf(recommended),
        })),
      );
    });
    await tx.insert(productRecommendations).values(recommendations).onConflictDoNothing();
  });
  await seedDemoImages(
    db,
    Object.values(demoCatalogue).flatMap((items) => items.map(([sku]) => sku)),
  );
}
