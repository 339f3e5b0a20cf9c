"""What people write: interaction notes, task subjects, tickets, reasons and comments, in the
customer's language (Chinese for Chinese customers, English for the others)."""

# Chinese text is written with full-width punctuation, as Chinese users write it.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Final

# (channel, place, content, outcome, next step); {contact} and {project} are filled in.
INTERACTIONS: Final[dict[str, tuple[tuple[str, str, str, str, str], ...]]] = {
    "zh": (
        (
            "visit",
            "客户办公室",
            "拜访{contact}，介绍{project}方案并参观仓库现场。",
            "客户认可方案方向，希望看到详细报价。",
            "整理需求清单，三天内发送报价。",
        ),
        (
            "call",
            "电话",
            "与{contact}电话沟通{project}的预算和时间表。",
            "预算已在审批中，预计下月确定。",
            "下月初再次电话跟进预算审批结果。",
        ),
        (
            "email",
            "邮件",
            "向{contact}发送{project}的产品资料和案例。",
            "客户已阅读资料，提出两个技术问题。",
            "安排技术工程师回复问题。",
        ),
        (
            "meeting",
            "我司会议室",
            "与{contact}及其IT团队开会，演示{project}。",
            "演示顺利，IT团队关注系统对接。",
            "提供接口文档并约第二次技术交流。",
        ),
        (
            "message",
            "微信",
            "通过微信与{contact}确认{project}的交付时间。",
            "客户同意分两期交付。",
            "更新项目计划并发给客户确认。",
        ),
        (
            "visit",
            "客户工厂",
            "陪同工程师到现场勘察，{contact}介绍了现有流程。",
            "现场条件满足安装要求。",
            "出具现场勘察报告。",
        ),
        (
            "call",
            "电话",
            "回访{contact}，了解上次交付后的使用情况。",
            "整体满意，希望增加培训。",
            "安排一次现场培训。",
        ),
    ),
    "en": (
        (
            "visit",
            "Customer's office",
            "Visited {contact} and walked the warehouse floor for the {project}.",
            "They like the approach and want a detailed quote.",
            "Send the quote within three days.",
        ),
        (
            "call",
            "Phone",
            "Called {contact} about budget and timing of the {project}.",
            "Budget is in approval; decision expected next month.",
            "Call back early next month.",
        ),
        (
            "email",
            "E-mail",
            "Sent {contact} the {project} brochure and two case studies.",
            "They read them and asked two technical questions.",
            "Have an engineer answer them.",
        ),
        (
            "meeting",
            "Our meeting room",
            "Demo of the {project} for {contact} and their IT team.",
            "Demo went well; IT cares most about the ERP interface.",
            "Share the API docs and book a follow-up.",
        ),
        (
            "message",
            "WhatsApp",
            "Confirmed the {project} delivery dates with {contact}.",
            "They agreed to deliver in two phases.",
            "Update the project plan and send it over.",
        ),
        (
            "visit",
            "Customer's site",
            "Site survey with our engineer; {contact} explained the current process.",
            "The site is ready for installation.",
            "Write the site survey report.",
        ),
        (
            "call",
            "Phone",
            "Check-in call with {contact} after the last delivery.",
            "Happy overall; they would like more training.",
            "Offer an on-site training day.",
        ),
    ),
}

TASKS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "zh": {
        "call": ("电话跟进{customer}的报价", "与{customer}确认预算", "回访{customer}的使用情况"),
        "visit": ("拜访{customer}", "到{customer}现场勘察", "到{customer}做季度业务回顾"),
        "email": ("给{customer}发送合同草案", "给{customer}发送产品资料"),
        "meeting": ("与{customer}开项目启动会", "与{customer}的IT团队技术交流"),
    },
    "en": {
        "call": (
            "Follow up on the quote with {customer}",
            "Confirm budget with {customer}",
            "Check in with {customer}",
        ),
        "visit": (
            "Visit {customer}",
            "Site survey at {customer}",
            "Quarterly business review at {customer}",
        ),
        "email": ("Send the draft contract to {customer}", "Send product sheets to {customer}"),
        "meeting": ("Kick-off meeting with {customer}", "Technical workshop with {customer}'s IT"),
    },
}
TASK_OUTCOMES: Final[dict[str, tuple[str, ...]]] = {
    "zh": ("已完成，客户反馈积极。", "客户要求下周再联系。", "已发送，等待客户回复。"),
    "en": (
        "Done; positive feedback.",
        "They asked us to call again next week.",
        "Sent; waiting for their answer.",
    ),
}

OPPORTUNITY_LOST: Final[tuple[str, ...]] = (
    "Price too high",
    "Chose a competitor",
    "Budget cut",
    "No decision made",
    "Project postponed",
    "Built in-house",
    "Lost to the incumbent supplier",
)
CUSTOMER_CHURNED: Final[tuple[str, ...]] = (
    "Moved to a competitor",
    "Closed the warehouse",
    "Acquired by another group",
    "Unhappy with support response times",
    "Budget cut",
)
LEAD_LOST: Final[tuple[str, ...]] = (
    "No budget",
    "Not the decision maker",
    "Went silent",
    "Too small for us",
    "Bought elsewhere",
)

EXPENSES: Final[dict[str, tuple[tuple[str, int, int, str], ...]]] = {
    # category: (min, max in CNY, description) choices
    "zh": (
        ("travel", 300, 2600, "高铁往返拜访客户"),
        ("meals", 150, 900, "与客户商务午餐"),
        ("entertainment", 500, 3000, "客户接待"),
        ("gifts", 200, 800, "节日礼品"),
        ("samples", 300, 1500, "样品寄送"),
        ("travel", 80, 300, "打车往返客户现场"),
    ),
    "en": (
        ("travel", 800, 4800, "Flight to the customer's site"),
        ("meals", 200, 1200, "Business lunch"),
        ("entertainment", 600, 3000, "Customer dinner"),
        ("gifts", 200, 800, "Holiday gift"),
        ("samples", 300, 1500, "Sample shipment"),
        ("travel", 100, 400, "Taxi to the site"),
    ),
}

# (category, subject, description)
TICKETS: Final[dict[str, tuple[tuple[str, str, str], ...]]] = {
    "zh": (
        ("hardware", "扫描枪无法开机", "仓库有两把扫描枪充电后仍无法开机，影响出库作业。"),
        ("hardware", "标签打印机卡纸", "打印机频繁卡纸，已按说明书清洁过。"),
        ("software", "系统登录缓慢", "早上高峰期登录仓储系统需要一分钟以上。"),
        ("software", "库存数据与ERP不一致", "昨晚同步后部分SKU库存与ERP不一致。"),
        ("installation", "新仓库需要安装RFID门", "下月新仓库启用，需要安排RFID门安装。"),
        ("training", "新员工需要系统培训", "本月入职十名仓管员，需要一次操作培训。"),
        ("billing", "发票抬头需要更改", "公司名称变更，需要重开上季度发票。"),
        ("hardware", "机器人无法回充电桩", "AMR完成任务后无法自动回到充电桩。"),
    ),
    "en": (
        (
            "hardware",
            "Scanner will not power on",
            "Two handheld scanners stay dark after charging; picking is slowed down.",
        ),
        (
            "hardware",
            "Label printer keeps jamming",
            "The printer jams every few labels; we cleaned it as the manual says.",
        ),
        (
            "software",
            "Slow log-in in the morning",
            "Logging in to the WMS takes over a minute at the morning peak.",
        ),
        (
            "software",
            "Stock differs from the ERP",
            "After last night's sync some SKUs show different stock than the ERP.",
        ),
        (
            "installation",
            "RFID gate for the new warehouse",
            "Our new warehouse opens next month and needs an RFID gate installed.",
        ),
        (
            "training",
            "Training for new staff",
            "Ten new warehouse staff start this month and need a training session.",
        ),
        (
            "billing",
            "Invoice address change",
            "Our company name changed; please reissue last quarter's invoices.",
        ),
        (
            "hardware",
            "Robot does not return to its charger",
            "The AMR does not go back to its charging dock after a job.",
        ),
    ),
}
AGENT_REPLIES: Final[dict[str, tuple[str, ...]]] = {
    "zh": (
        "您好，我们已收到您的问题，工程师正在处理。",
        "请提供设备序列号和现场照片，方便我们排查。",
    ),
    "en": (
        "Thanks for reaching out: an engineer is looking into it.",
        "Could you send us the serial number and a photo of the device?",
    ),
}
SURVEY_COMMENTS: Final[dict[int, dict[str, tuple[str, ...]]]] = {
    5: {
        "zh": ("响应很快，问题解决得很好！", "工程师非常专业。"),
        "en": ("Quick and friendly, thanks!", "The engineer knew exactly what to do."),
    },
    4: {
        "zh": ("问题解决了，沟通可以更及时。",),
        "en": ("Solved; updates could be more frequent.",),
    },
    3: {"zh": ("解决时间有点长。",), "en": ("Took longer than we hoped.",)},
    2: {"zh": ("等了很久才有人回复。",), "en": ("We waited a long time for an answer.",)},
    1: {"zh": ("问题反复出现，很不满意。",), "en": ("The problem keeps coming back.",)},
}

ANNOUNCEMENTS: Final[tuple[tuple[str, str, int | None, int | None], ...]] = (
    # title, body, publish (days from today; None: draft), expires (days from today)
    (
        "Service hours over the Spring Festival",
        "The hotline runs with a reduced team during the Spring Festival week; urgent tickets are "
        "still answered within the SLA.",
        -20,
        40,
    ),
    (
        "New firmware for the MC-500 mobile computer",
        "Firmware 4.2 fixes the Wi-Fi roaming drop-outs. Install it from the device menu "
        "or ask the service desk to push it remotely.",
        -5,
        None,
    ),
    (
        "Planned maintenance of the cloud WMS",
        "The cloud WMS is updated on Sunday from 01:00 to 03:00 (UTC+8); "
        "expect short interruptions.",
        3,
        10,
    ),
    (
        "Price list for next year",
        "Draft: the new price list takes effect on 1 January.",
        None,
        None,
    ),
)
