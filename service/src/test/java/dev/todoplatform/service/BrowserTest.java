package dev.todoplatform.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** A person's path through the page, in Debian's headless Chromium: add, toggle, delete; and a screenshot. */
@ExtendWith(Backends.class)
class BrowserTest {
    private static ServiceProcess service;
    private static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        service = ServiceProcess.todoOnFreshDatabase();
        ChromeOptions options = new ChromeOptions()
                .setBinary("/usr/bin/chromium")
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--window-size=1000,800");
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        browser = new ChromeDriver(driver, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        service.close();
    }

    @Test
    void addToggleAndDeleteInARealBrowser() throws Exception {
        // Each form post reloads the page: an element read mid-reload is stale (Chromium may report it as "Node with
        // given id does not belong to the document", a plain WebDriverException), so the wait just looks again.
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
        // While the page reloads after a form post, the list is briefly empty: item(...) finds nothing then.
        wait.ignoring(WebDriverException.class).ignoring(java.util.NoSuchElementException.class);
        browser.get(service.uri("/").toString());
        assertEquals("Todo", browser.getTitle());

        for (String name : List.of("Write the runbook", "<b>not bold</b>", "Ship it")) {
            browser.findElement(By.id("name")).sendKeys(name);
            browser.findElement(By.id("add")).click();
            wait.until(d -> names().contains(name));
        }
        assertEquals(List.of("Write the runbook", "<b>not bold</b>", "Ship it"), names(), "escaped, oldest first");

        item("Write the runbook").findElement(By.className("toggle")).click();
        wait.until(d -> item("Write the runbook").getAttribute("class").contains("done"));

        item("Ship it").findElement(By.className("delete")).click();
        wait.until(d -> !names().contains("Ship it"));
        assertEquals(List.of("Write the runbook", "<b>not bold</b>"), names());
        assertTrue(browser.findElement(By.className("count")).getText().contains("2 items, 1 done"));

        Path shot = Path.of("target", "screenshots", "todo-page.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
        assertTrue(Files.size(shot) > 1000, "screenshot written");
    }

    private static List<String> names() {
        return browser.findElements(By.cssSelector("#todos .name")).stream().map(WebElement::getText).toList();
    }

    private static WebElement item(String name) {
        return browser.findElements(By.cssSelector("#todos li")).stream()
                .filter(li -> li.findElement(By.className("name")).getText().equals(name)).findFirst().orElseThrow();
    }
}
